// Did-you-mean suggestions: a swap of two neighbouring letters is one slip (wroker1 is worker1,
// not broker), and among equally close names the one that starts like the typed word wins.
import t from "tap";
import { closest, editDistance } from "../../controller/errors.js";

t.test("a transposition is one edit", async (t) => {
  t.equal(editDistance("wroker1", "worker1"), 1, "wr/ro swapped");
  t.equal(editDistance("wroker1", "broker"), 2, "one substitution and one deletion");
  t.equal(editDistance("alpah", "alpha"), 1, "swapped at the end");
  t.equal(editDistance("ab", "ba"), 1);
  t.equal(editDistance("ca", "abc"), 3, "optimal string alignment: no substring edited twice");
  t.equal(editDistance("", "abc"), 3, "from nothing: insertions");
  t.equal(editDistance("abc", ""), 3, "to nothing: deletions");
  t.equal(editDistance("kitten", "sitting"), 3, "plain Levenshtein where nothing is swapped");
  t.equal(editDistance("same", "same"), 0);
});

t.test("the issue's case: wroker1 among broker, worker1, worker2", async (t) => {
  t.equal(closest("wroker1", ["broker", "worker1", "worker2"]), "worker1");
  t.equal(closest("wroker2", ["broker", "worker1", "worker2"]), "worker2");
  t.equal(closest("borker", ["broker", "worker1", "worker2"]), "broker");
});

t.test("equally close: the longer shared start, then the nearer length, then the first", async (t) => {
  t.equal(closest("clien", ["alien", "client"]), "client", "both one edit: client starts like clien");
  t.equal(closest("clien", ["client", "alien"]), "client", "whatever the order");
  t.equal(closest("abcd", ["abd", "abxd"]), "abxd", "same shared start: the same length wins");
  t.equal(closest("abcd", ["abxd", "abd"]), "abxd", "whatever the order");
  t.equal(closest("r3", ["r1", "r2"]), "r1", "a full tie: the first given");
  t.equal(closest("r3", ["r2", "r1"]), "r2");
});

t.test("far words get no suggestion; case does not count", async (t) => {
  t.equal(closest("zzzz", ["broker", "worker1"]), undefined);
  t.equal(closest("WORKER1", ["broker", "worker1"]), "worker1");
  t.equal(closest("x", []), undefined, "no candidates");
  t.equal(closest("abcdefghi", ["abcdefxyz"]), "abcdefxyz", "3 edits in 9 letters: a third, still likely");
  t.equal(closest("abcdefghi", ["abcdewxyz"]), undefined, "4 edits: too far");
});

// The ZeroMQ socket types a lab file names and the agent opens.

export type SocketType =
  | "pub" | "sub" | "xpub" | "xsub" | "push" | "pull"
  | "req" | "rep" | "dealer" | "router" | "pair";

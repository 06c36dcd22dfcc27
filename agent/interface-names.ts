// FRR knows interfaces by their kernel names only (not by the altnames zmqlab gives them), and
// Docker picks those names (eth0, eth1, ...) in the order it attaches networks: configuration
// written with lab network names gets the kernel's names in the node. Pure.

/** Lines `interface NETWORK` whose NETWORK is a known lab network get that interface's kernel name. */
export function withKernelNames(text: string, kernelNames: Map<string, string>): string {
  return text.replace(/^(\s*interface\s+)(\S+)([ \t]*)$/gm, (line, head: string, name: string, tail: string) => {
    const kernel = kernelNames.get(name);
    return kernel === undefined ? line : `${head}${kernel}${tail}`;
  });
}

// The ZeroMQ socket types a lab file names and the agent opens.

export const SOCKET_TYPES = ["pub", "sub", "xpub", "xsub", "push", "pull", "req", "rep", "dealer", "router", "pair"] as const;

export type SocketType = (typeof SOCKET_TYPES)[number];

// What marks a resource as zmqlab's: labels on every network and container, so that `ls`,
// `down` and `clean` find them again (also the ones a crashed run left).
export const LABEL_LAB = "zmqlab.lab";
export const LABEL_NODE = "zmqlab.node";
export const LABEL_NETWORK = "zmqlab.network";
/** Containers that are not lab nodes (the lock, the host-route reader) say what they are. */
export const LABEL_ROLE = "zmqlab.role";
/** On an instance's networks: where its addresses were moved (`test` and `down` find it again). */
export const LABEL_RELOCATION = "zmqlab.relocation";
/** On an instance's networks and nodes: the lab file's name and the instance. */
export const LABEL_LAB_NAME = "zmqlab.lab-name";
export const LABEL_INSTANCE = "zmqlab.instance";

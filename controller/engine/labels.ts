// What marks a resource as zmqlab's: labels on every network and container (planned in plan/).
export { LABEL_INSTANCE, LABEL_LAB, LABEL_LAB_NAME, LABEL_NETWORK, LABEL_NODE, LABEL_RELOCATION, LABEL_ROLE } from "../plan/plan.js";

// Public surface of the live feature: the event → query mapping (other features never need
// it; the shell mounts the subscription through routes.tsx's widgets).
export { coveredKeys, keysForEvent } from "./invalidation";

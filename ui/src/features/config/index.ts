// Public surface of the config feature: nothing is used by other features; its pages are in routes.tsx.
export {};

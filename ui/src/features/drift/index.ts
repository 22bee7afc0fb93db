// Public surface of the drift feature: nothing is used by other features; its pages are in routes.tsx.
export {};

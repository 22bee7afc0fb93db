// Public surface of the auth feature: nothing is used by other features; its pages are in routes.tsx.
export {};

// Public surface of the settings feature: nothing is used by other features; its pages are in routes.tsx.
export {};

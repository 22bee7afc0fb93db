// Public surface of the overview feature: nothing is used by other features; its pages are in routes.tsx.
export {};

// Public surface of the definitions feature: nothing is used by other features; its pages are in routes.tsx.
export {};

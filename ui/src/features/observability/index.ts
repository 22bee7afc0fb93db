// Public surface of the observability feature: nothing is used by other features; its pages are in routes.tsx.
export {};

package modules

// MayWrite lets the external tests see whether a context carries a live
// Writer's permission.
var MayWrite = mayWrite

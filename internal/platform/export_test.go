package platform

// OpenPostgres is openPostgres for the external tests of this package.
var OpenPostgres = openPostgres

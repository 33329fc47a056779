package store

// DaysOnly lets the external tests read the roll-up day by day, to check
// that weeks, months and years sum to the same.
var DaysOnly = &daysOnly

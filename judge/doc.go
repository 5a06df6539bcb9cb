// Package judge decides what a committed AWS access key means: it matches
// the key IDs the history scan found against the account's inventory and
// gives each one a rule, a severity and the steps to fix it (README,
// "Severity of a committed key").
//
// It is a pure function of its inputs so that every row of the severity
// table can be tested without AWS or git.
package judge

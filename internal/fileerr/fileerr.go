// Package fileerr is the error for a problem at one line of an input file
// (.keysweep.yml, .keysweepignore, a baseline), printed as FILE:LINE: so
// editors and CI logs link straight to it.
package fileerr

import "fmt"

// Error is a problem at one line of a file; Line 0 means the whole file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

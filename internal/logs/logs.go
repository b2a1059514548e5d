// Package logs holds the one default of every Logger option: a nil logger
// logs nothing. A library package never writes to slog.Default() unasked;
// the command gives each part the logger of its --log-format.
package logs

import "log/slog"

// OrDiscard returns l, or a logger that discards everything when l is nil.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

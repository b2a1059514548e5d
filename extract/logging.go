package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
)

// HashLogin returns the short, stable stand-in for a LoginId in logs: the
// first 12 hex digits of its SHA-256. The LoginId itself is never logged.
func HashLogin(loginID string) string {
	sum := sha256.Sum256([]byte(loginID))
	return hex.EncodeToString(sum[:6])
}

// LoginAttr is the slog attribute for a LoginId: its hash under key "login".
func LoginAttr(loginID string) slog.Attr { return slog.String("login", HashLogin(loginID)) }

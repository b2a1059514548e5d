package iceberg

import (
	"errors"
	"strings"
	"testing"

	"github.com/syncer/syncer/load"
)

// A commit that keeps losing races fails with a class that names the table
// and the contention, and quotes nothing from the rows: the pipeline logs
// it when a group fails (the message itself goes to sync_logins.error).
func TestRacesLostClassNamesTableNotKeys(t *testing.T) {
	const login = "0b9f7c3e-2d4a-4e61-8f0c-5a6b7c8d9e0f"
	err := &tableError{table: "holdings", step: "commit",
		err: &racesLost{attempts: maxAttempts, last: errors.New("requirement failed: branch main has changed; rows of " + login)}}
	class := load.ErrorClass(err)
	if want := "iceberg holdings commit: lost 20 commit races to other writers in a row"; class != want {
		t.Errorf("class %q, want %q", class, want)
	}
	if strings.Contains(class, login) || !strings.Contains(err.Error(), "branch main has changed") {
		t.Errorf("class %q, message %q: the class must quote no key, the message must keep the cause", class, err)
	}
}

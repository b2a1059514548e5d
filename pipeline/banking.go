package pipeline

import (
	"errors"

	"github.com/syncer/syncer/schema"
	"github.com/syncer/syncer/transform"
)

// bankingBatch turns a GetAccountsDetail body into the banking tables' rows.
func (r *runner) bankingBatch(body []byte, c transform.Context) (schema.Batch, transform.Stats, error) {
	return schema.Batch{}, transform.Stats{}, errors.New("the banking tables are not available in this build")
}

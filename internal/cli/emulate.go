package cli

import (
	"context"
	"errors"
)

// TODO(owner of emulate.go): replace this placeholder.
func runEmulate(_ context.Context, _ IO, _ []string) error {
	return errors.New("emulate: not built yet")
}

package cli

import (
	"context"
	"errors"
)

// TODO(owner of init.go): replace this placeholder.
func runInit(_ context.Context, _ IO, _ []string) error {
	return errors.New("init: not built yet")
}

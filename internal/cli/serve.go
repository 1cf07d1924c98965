package cli

import (
	"context"
	"errors"
)

// TODO(owner of serve.go): replace this placeholder.
func runServe(_ context.Context, _ IO, _ []string) error {
	return errors.New("serve: not built yet")
}

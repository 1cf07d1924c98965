package cli

import (
	"context"
	"errors"
)

// TODO(owner of check.go): replace this placeholder.
func runCheck(_ context.Context, _ IO, _ []string) error {
	return errors.New("check: not built yet")
}

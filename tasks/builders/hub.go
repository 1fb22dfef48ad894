package builders

import (
	"fmt"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/tasks"
)

// HubFromEnvironment is the Source of a Task given none: the Hugging Face
// Hub through a hub client configured from the environment (HF_ENDPOINT,
// HF_TOKEN, HF_HOME, HF_HUB_OFFLINE), made anew on each call.
func HubFromEnvironment() (tasks.Source, error) {
	c, err := hub.New()
	if err != nil {
		return nil, fmt.Errorf("opening the Hugging Face Hub client: %w", err)
	}
	return HubSource{Client: c}, nil
}

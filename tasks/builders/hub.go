package builders

import (
	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/tasks"
)

// The default Source of registered tasks is the Hugging Face Hub, through
// the hub client configured from the environment (HF_ENDPOINT, HF_TOKEN,
// HF_HOME, HF_HUB_OFFLINE), made on first use.
func init() {
	newDefaultSource = func() (tasks.Source, error) {
		c, err := hub.New()
		if err != nil {
			return nil, err
		}
		return HubSource{Client: c}, nil
	}
}

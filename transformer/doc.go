// Package transformer owns mimo's transformer encoder, the model that
// mimo trains and that native model folders hold: its architecture
// (Config, read from and written to a Hugging Face config.json), its GoMLX
// graph (Encode: the BERT / XLM-RoBERTa post-LN encoder and ModernBERT,
// mmBERT's architecture: pre-LN, rotary positions, GeGLU, global and
// sliding-window layers; modernbert.go), its weights (Hugging Face
// safetensors: LoadSafetensors, SaveSafetensors, InitRandom), the native
// model folder (FolderFiles and StudentFiles read what mimo-model.json
// names, WriteFolder writes one), the GoMLX backend (BackendConfig,
// NewBackend; one variable, $GOMLX_BACKEND), the inference forward pass
// (Model), the trainable student of training's gradient cache (Student)
// and the ONNX export (ExportONNX, ExportFolder, and CachedExport, the
// export kept once per weights that native folders run on by default).
//
// Clients: adapters/native is the Encoder of folder kind "native", a thin
// adapter over this package; training builds, trains and writes its
// student through it; cmd/mimo-export exports with it.
//
// The mental model: every weight is a GoMLX context variable whose scope path
// spells its Hugging Face tensor name. "embeddings.word_embeddings.weight"
// lives at <ctx scope>/encoder/embeddings/word_embeddings, variable "weight";
// "encoder.layer.3.output.dense.bias" at
// <ctx scope>/encoder/encoder/layer/3/output/dense, variable "bias". Linear
// weights keep PyTorch's [out, in] layout. So loading, saving and
// initialising are one walk over the tensor list of a Config (tensorSpecs),
// and a file written here is a file transformers reads back.
//
// Encode only reads variables: create them first with InitRandom or
// LoadSafetensors. It is a pure graph function, so the training engine can
// call it inside its own executors (forward-only, with gradients, with
// dropout) and Model inside its own.
//
// Backends: the pure-Go backend ("go") is compiled in and is the default;
// see NewBackend for how a GPU (XLA/PJRT) backend is selected.
package transformer

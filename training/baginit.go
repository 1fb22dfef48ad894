package training

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode"

	"gonum.org/v1/gonum/mat"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/resolver"
	"github.com/mimo-mlir/mimo/tokenize"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/teacher"
	"github.com/mimo-mlir/mimo/transformer"
)

// A student trained from scratch starts knowing nothing, and with a few
// thousand sentence pairs and a slow CPU backend it sees each word only a
// handful of times: not enough for gradient descent to learn a vocabulary.
// InitBag gives it a head start with what a single linear solve can learn
// from the same data.
//
// The mental model: with its attention and feed-forward output projections
// at zero and no position embeddings, the student's one-layer encoder is the
// identity on LayerNorm(E[token]), so its mean-pooled output is a bag of
// (normalised) token vectors. InitBag fits that bag to the teacher:
//
//  1. every training text x (the stage-1 translations and their English
//     sides, every language version of the stage-2 queries and passages) is
//     a row of A, its tokens' mean-pooling weights, with target t(x) the
//     teacher vector of its English version (L2-normalised);
//  2. M = argmin |A M - T|^2 + lambda |M|^2 (vocab x teacher dim), by
//     conjugate gradients on the normal equations, each column at once;
//  3. M's top principal directions Q (teacher dim x hidden, eigenvectors of
//     M^T M) give the token embeddings E = M Q and psi = Q^T (so psi(bag(E))
//     approximates the teacher), written as a student folder with
//     psi.safetensors beside it.
//
// Stage 1 and stage 2 then train the whole transformer from there
// (mimo-train with "student": DIR), psi included.

// BagInitOptions tune InitBag.
type BagInitOptions struct {
	// Ridge is lambda relative to the mean diagonal of A^T A (default 0.01).
	Ridge float64
	// Iters bounds the conjugate-gradient iterations (default 200); it stops
	// earlier when the relative residual of every column is under Tol
	// (default 1e-4).
	Iters int
	Tol   float64
	// Name of the written model (default the run's name + "-baginit").
	Name string
	// NoPrior shrinks unseen or rare tokens to zero instead of towards the
	// teacher's vector of their own surface form (see surfacePrior).
	NoPrior bool
}

// BagInitReport says how well the solve fits.
type BagInitReport struct {
	Rows, Vocab, Seen, Iters int
	Residual                 float64 // largest relative residual of a column
	FitCos                   float64 // mean cos(A M row, target) before the factorisation
	FactorCos                float64 // the same through hidden-size E and psi
}

type bagRow struct {
	text, role, target string
	maxLen             int
}

// InitBag writes the warm-start student folder into dir (see above). The
// run must have been set up for a method with teacher targets (mimo).
func (r *Run) InitBag(ctx context.Context, dir string, o BagInitOptions) (BagInitReport, error) {
	var rep BagInitReport
	o = o.withDefaults(r.Cfg)
	nat, ok := r.Student.(transformer.Student)
	if !ok {
		return rep, fmt.Errorf("baginit: the student is %T, not a native transformer", r.Student)
	}
	if mt := nat.Cfg.ModelType; mt != transformer.ModelXLMRoberta && mt != transformer.ModelBERT {
		// The closed form relies on the post-LN layout (a zeroed attention
		// and FFN leave a bag of embeddings behind the last LayerNorm).
		return rep, fmt.Errorf("baginit: the warm start is for XLM-R and BERT students; this student is %s", mt)
	}
	// 1. The rows, their targets and A.
	rows := r.bagRows()
	if len(rows) == 0 {
		return rep, fmt.Errorf("baginit: no training texts")
	}
	rep.Rows = len(rows)
	T, tdim, err := r.bagTargets(rows)
	if err != nil {
		return rep, err
	}
	vocab := nat.Cfg.VocabSize
	tokPath := r.Cfg.Tokenizer
	if tokPath == "" {
		tokPath = filepath.Join(r.Cfg.Student, "tokenizer.json")
	}
	pieces, err := tokenize.Pieces(tokPath)
	if err != nil {
		return rep, fmt.Errorf("baginit: %w", err)
	}
	special := func(id int) bool {
		return id < len(pieces) && strings.HasPrefix(pieces[id], "<") && strings.HasSuffix(pieces[id], ">")
	}
	a, err := r.bagMatrix(rows, T, vocab, special)
	if err != nil {
		return rep, err
	}
	at := a.transpose()

	// 2. Ridge regression by conjugate gradients, all tdim columns at once.
	X, err := r.bagSolve(ctx, a, at, T, tdim, pieces, o, &rep)
	if err != nil {
		return rep, err
	}

	// 3. Factorisation: E = M Q, psi = Q^T, Q the top hidden eigenvectors of M^T M.
	h := nat.Cfg.HiddenSize
	if h > tdim {
		return rep, fmt.Errorf("baginit: student hidden size %d exceeds the teacher's %d dimensions", h, tdim)
	}
	f, err := bagFactor(X, vocab, tdim, h, func(v int) bool { return at.rowPtr[v] != at.rowPtr[v+1] && !special(v) })
	if err != nil {
		return rep, err
	}
	rep.FitCos, rep.FactorCos = bagFit(a, X, T, f.emb, f.gain, f.bias, f.psiW, h, tdim)
	return rep, r.writeBagFolder(nat.Cfg, f, tokPath, dir, o.Name, tdim)
}

// withDefaults fills o's zero fields.
func (o BagInitOptions) withDefaults(c Config) BagInitOptions {
	if o.Ridge <= 0 {
		o.Ridge = 0.01
	}
	if o.Iters <= 0 {
		o.Iters = 200
	}
	if o.Tol <= 0 {
		o.Tol = 1e-4
	}
	if o.Name == "" {
		o.Name = folderName(c) + "-baginit"
	}
	return o
}

// bagRows lists the rows: (text, target English text, teacher role),
// deduplicated.
func (r *Run) bagRows() []bagRow {
	var rows []bagRow
	seen := map[[3]string]bool{}
	add := func(text, role, target string, maxLen int) {
		k := [3]string{text, role, target}
		if text == "" || seen[k] {
			return
		}
		seen[k] = true
		rows = append(rows, bagRow{text, role, target, maxLen})
	}
	l1, l2 := r.Cfg.Stage1.MaxLen, r.Cfg.Stage2.MaxLen
	for _, p := range r.Pairs {
		add(p.Text, RoleSentence, p.En, l1)
		add(p.En, RoleSentence, p.En, l1)
	}
	for _, row := range r.Rows {
		if !row.Has("en") {
			continue
		}
		for _, l := range r.Langs {
			add(row.Query[l], RoleQuery, row.Query["en"], l2)
			add(row.Positive[l], RoleDocument, row.Positive["en"], l2)
		}
	}
	return rows
}

// bagTargets are the rows' teacher vectors, L2-normalised, and their
// dimension.
func (r *Run) bagTargets(rows []bagRow) ([][]float32, int, error) {
	var tdim int
	T := make([][]float32, len(rows))
	for i, x := range rows {
		v := r.Teacher[x.role]
		if v == nil {
			return nil, 0, fmt.Errorf("baginit: no teacher vectors for role %q", x.role)
		}
		flat, err := teacher.Gather(v, []string{x.target})
		if err != nil {
			return nil, 0, fmt.Errorf("baginit: %w", err)
		}
		tdim = v.Dim()
		var s float64
		for _, f := range flat {
			s += float64(f) * float64(f)
		}
		if s > 0 {
			inv := float32(1 / math.Sqrt(s))
			for j := range flat {
				flat[j] *= inv
			}
		}
		T[i] = flat
	}
	return T, tdim, nil
}

// bagMatrix builds A as CSR: token counts, special tokens left out (their
// embeddings carry no content, below). The bag is additive, like the
// teacher's term-frequency vectors: a text's target is its normalised
// teacher vector times the square root of its token count (T is scaled in
// place), the norm a sum of that many roughly orthogonal token vectors
// has. The student's mean pooling only rescales the sum, which cosine
// ignores.
func (r *Run) bagMatrix(rows []bagRow, T [][]float32, vocab int, special func(int) bool) (csr, error) {
	a := csr{rowPtr: []int{0}}
	for i, x := range rows {
		encs, err := r.Tok.EncodeBatch([]string{x.text}, x.maxLen)
		if err != nil {
			return a, fmt.Errorf("baginit: row %d: %w", i, err)
		}
		enc := encs[0]
		counts := map[int]float64{}
		n := 0
		for j, id := range enc.IDs {
			if enc.Mask[j] != 0 && !special(int(id)) {
				counts[int(id)]++
				n++
			}
		}
		for j := range T[i] {
			T[i][j] *= float32(math.Sqrt(float64(max(n, 1))))
		}
		ids := make([]int, 0, len(counts))
		for id := range counts {
			if id < 0 || id >= vocab {
				return a, fmt.Errorf("baginit: row %d: token id %d outside the vocabulary of %d", i, id, vocab)
			}
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			a.col = append(a.col, id)
			a.val = append(a.val, counts[id])
		}
		a.rowPtr = append(a.rowPtr, len(a.col))
	}
	a.nCols = vocab
	return a, nil
}

// bagSolve is M = argmin |A M - T|^2 + lambda |M|^2, shrunk towards the
// surface prior unless o.NoPrior, by conjugate gradients on the normal
// equations with every column at once; it fills rep's Vocab, Seen, Iters
// and Residual.
func (r *Run) bagSolve(ctx context.Context, a, at csr, T [][]float32, tdim int, pieces []string, o BagInitOptions, rep *BagInitReport) ([]float64, error) {
	vocab, nRows := a.nCols, a.rows()
	B := make([]float64, vocab*tdim)
	{
		Tf := make([]float64, nRows*tdim)
		for i, t := range T {
			for j, f := range t {
				Tf[i*tdim+j] = float64(f)
			}
		}
		at.mul(Tf, B, tdim)
	}
	var diag float64
	var prior []float64 // M0, added back to the solution
	nz := 0
	for v := 0; v < vocab; v++ {
		var s float64
		for k := at.rowPtr[v]; k < at.rowPtr[v+1]; k++ {
			s += at.val[k] * at.val[k]
		}
		if s > 0 {
			diag += s
			nz++
		}
	}
	rep.Vocab, rep.Seen = vocab, nz
	lambda := o.Ridge * diag / float64(max(nz, 1))
	if !o.NoPrior {
		// Shrink towards the prior M0 instead of zero: solve for X - M0,
		// whose right-hand side is B - (A^T A + lambda I) M0 + lambda M0.
		m0, err := r.surfacePrior(ctx, pieces, vocab, tdim)
		if err != nil {
			return nil, err
		}
		Y0 := make([]float64, nRows*tdim)
		AtA0 := make([]float64, vocab*tdim)
		a.mul(m0, Y0, tdim)
		at.mul(Y0, AtA0, tdim)
		for k := range B {
			B[k] -= AtA0[k]
		}
		prior = m0
	}
	X, err := conjugateGradients(ctx, a, at, B, lambda, tdim, o, rep)
	if err != nil {
		return nil, err
	}
	for k := range prior {
		X[k] += prior[k]
	}
	return X, nil
}

// conjugateGradients solves (A^T A + lambda I) X = B for the tdim columns
// of B at once, stopping after o.Iters iterations or when every column's
// relative residual is under o.Tol (rep.Iters, rep.Residual).
func conjugateGradients(ctx context.Context, a, at csr, B []float64, lambda float64, tdim int, o BagInitOptions, rep *BagInitReport) ([]float64, error) {
	vocab := a.nCols
	X := make([]float64, vocab*tdim)
	R := append([]float64(nil), B...)
	P := append([]float64(nil), B...)
	Q := make([]float64, vocab*tdim)
	Y := make([]float64, a.rows()*tdim)
	colDot := func(u, w []float64) []float64 {
		out := make([]float64, tdim)
		for v := 0; v < vocab; v++ {
			for j := 0; j < tdim; j++ {
				out[j] += u[v*tdim+j] * w[v*tdim+j]
			}
		}
		return out
	}
	rs, b2 := colDot(R, R), colDot(B, B)
	for it := 0; it < o.Iters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a.mul(P, Y, tdim)
		at.mul(Y, Q, tdim)
		for k := range Q {
			Q[k] += lambda * P[k]
		}
		pq := colDot(P, Q)
		alpha := make([]float64, tdim)
		for j := range alpha {
			if pq[j] > 0 {
				alpha[j] = rs[j] / pq[j]
			}
		}
		for v := 0; v < vocab; v++ {
			for j := 0; j < tdim; j++ {
				X[v*tdim+j] += alpha[j] * P[v*tdim+j]
				R[v*tdim+j] -= alpha[j] * Q[v*tdim+j]
			}
		}
		rn := colDot(R, R)
		worst := 0.0
		for j := range rn {
			if b2[j] > 0 {
				worst = max(worst, math.Sqrt(rn[j]/b2[j]))
			}
		}
		rep.Iters, rep.Residual = it+1, worst
		if worst < o.Tol {
			break
		}
		for v := 0; v < vocab; v++ {
			for j := 0; j < tdim; j++ {
				if rs[j] > 0 {
					P[v*tdim+j] = R[v*tdim+j] + rn[j]/rs[j]*P[v*tdim+j]
				}
			}
		}
		rs = rn
	}
	return X, nil
}

// bagFactors are the warm start's weights: token embeddings (vocab x h),
// the last LayerNorm's gain and bias, psi's weight (h x teacher dim).
type bagFactors struct {
	emb, gain, bias, psiW []float32
}

// bagFactor factors M (vocab x tdim) as E = M Q, psi = Q^T, Q the top
// eigenvectors of M^T M, laid out to pass through LayerNorm linearly
// (below); content(v) says whether token v has content (seen in training
// and not special).
func bagFactor(X []float64, vocab, tdim, h int, content func(int) bool) (bagFactors, error) {
	Mm := mat.NewDense(vocab, tdim, X)
	var G mat.SymDense
	G.SymOuterK(1, Mm.T())
	var eig mat.EigenSym
	if !eig.Factorize(&G, true) {
		return bagFactors{}, fmt.Errorf("baginit: eigen-decomposition of M^T M failed")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs) // ascending eigenvalues
	Qm := vecs.Slice(0, tdim, tdim-h, tdim)
	// A linear bag through LayerNorm. LayerNorm scales each token vector to
	// unit variance, which would give every token the same weight. So each
	// embedding is a large constant part c (coordinate 0) plus its content
	// m_tok in an orthonormal basis B of the coordinates 1..h-1 that sum to
	// zero, with |m_tok| <= c/3: the norms, and so LayerNorm's scale, then
	// vary by under 6%, and the embedding LayerNorm is nearly linear. The last
	// LayerNorm drops coordinate 0 (gain 0) and cancels the constant left in
	// the others (bias), so the pooled output is the mean of the contents:
	// the ridge regression's bag, projected on hidden-2 principal directions.
	k := h - 2
	Qk := Qm.(*mat.Dense).Slice(0, tdim, h-k, h)
	var Ek mat.Dense
	Ek.Mul(Mm, Qk)
	basis := helmert(h) // h x k, orthonormal columns, zero in coordinate 0, summing to zero
	c := math.Sqrt(float64(h))
	var big float64
	for v := 0; v < vocab; v++ {
		var s float64
		for _, x := range Ek.RawRowView(v) {
			s += x * x
		}
		big = max(big, math.Sqrt(s))
	}
	scale := c / 3 / max(big, 1e-12)
	emb := make([]float32, vocab*h)
	for v := 0; v < vocab; v++ {
		// Special tokens and tokens no training text has: the constant
		// alone, which the last LayerNorm turns into zero.
		content := content(v)
		row := Ek.RawRowView(v)
		for i := 0; i < h; i++ {
			x := -c / float64(h)
			if i == 0 {
				x += c
			}
			for j := 0; content && j < k; j++ {
				x += scale * basis[i*k+j] * row[j]
			}
			emb[v*h+i] = float32(x)
		}
	}
	// LayerNorm of c*(e0 - 1/h) alone: its constant in coordinates 1..h-1.
	off := make([]float64, h)
	for i := range off {
		off[i] = -c / float64(h)
	}
	off[0] += c
	lnOff := layerNorm(off)
	gain, bias := make([]float32, h), make([]float32, h)
	for i := 1; i < h; i++ {
		gain[i], bias[i] = 1, float32(-lnOff[i])
	}
	// psi = B Q^T: from the content coordinates back to the teacher space.
	psiW := make([]float32, h*tdim)
	for i := 0; i < h; i++ {
		for t := 0; t < tdim; t++ {
			var x float64
			for j := 0; j < k; j++ {
				x += basis[i*k+j] * Qk.At(t, j)
			}
			psiW[i*tdim+t] = float32(x)
		}
	}
	return bagFactors{emb: emb, gain: gain, bias: bias, psiW: psiW}, nil
}

// writeBagFolder writes a fresh student with f's embeddings and identity
// layers into dir, and psi beside it.
func (r *Run) writeBagFolder(cfg transformer.Config, f bagFactors, tokPath, dir, name string, tdim int) error {
	h := cfg.HiddenSize
	sctx := r.Ctx.InAbsPath("/" + gradcache.StudentScope)
	if err := transformer.InitRandom(sctx, cfg, int64(r.Cfg.Seed)); err != nil {
		return err
	}
	set := map[string][]float32{
		"embeddings.word_embeddings.weight":       f.emb,
		"embeddings.position_embeddings.weight":   make([]float32, cfg.MaxPositions*h),
		"embeddings.token_type_embeddings.weight": make([]float32, cfg.TypeVocabSize*h),
	}
	for l := range cfg.NumLayers {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		set[p+"attention.output.dense.weight"] = make([]float32, h*h)
		set[p+"output.dense.weight"] = make([]float32, h*cfg.IntermediateSize)
		if l == cfg.NumLayers-1 {
			set[p+"output.LayerNorm.weight"] = f.gain
			set[p+"output.LayerNorm.bias"] = f.bias
		}
	}
	for name, d := range set {
		if err := transformer.SetTensor(sctx, cfg, name, d); err != nil {
			return err
		}
	}
	if err := writeStudentFolder(r.Ctx, cfg, tokPath, dir, name, max(r.Cfg.Stage1.MaxLen, r.Cfg.Stage2.MaxLen), r.Cfg); err != nil {
		return err
	}
	return transformer.WriteTensors(filepath.Join(dir, PsiFile), []transformer.Tensor{
		{Name: "psi.weight", Shape: []int{h, tdim}, Data: f.psiW},
		{Name: "psi.bias", Shape: []int{tdim}, Data: make([]float32, tdim)},
	})
}

// bagFit is the mean cosine between the targets and (a) the regression's
// prediction A M, (b) what the written student computes: psi of the mean of
// the rows' tokens through the embedding LayerNorm and the last LayerNorm's
// gain and bias (the layers in between are the identity).
func bagFit(a csr, M []float64, T [][]float32, emb, gain, bias, psiW []float32, h, tdim int) (fit, factor float64) {
	n := len(T)
	pred := make([]float64, tdim)
	bag := make([]float64, h)
	out := make([]float64, tdim)
	tok := make([]float64, h)
	cos := func(u []float64, t []float32) float64 {
		var d, uu, tt float64
		for j := range u {
			d += u[j] * float64(t[j])
			uu += u[j] * u[j]
			tt += float64(t[j]) * float64(t[j])
		}
		if uu == 0 || tt == 0 {
			return 0
		}
		return d / math.Sqrt(uu*tt)
	}
	for i := 0; i < n; i++ {
		clear(pred)
		clear(bag)
		for k := a.rowPtr[i]; k < a.rowPtr[i+1]; k++ {
			v, w := a.col[k], a.val[k]
			for j := 0; j < tdim; j++ {
				pred[j] += w * M[v*tdim+j]
			}
			for j := 0; j < h; j++ {
				tok[j] = float64(emb[v*h+j])
			}
			x := layerNorm(tok)
			for j := 0; j < h; j++ {
				bag[j] += w * (float64(gain[j])*x[j] + float64(bias[j]))
			}
		}
		clear(out)
		for k := 0; k < h; k++ {
			for j := 0; j < tdim; j++ {
				out[j] += bag[k] * float64(psiW[k*tdim+j])
			}
		}
		fit += cos(pred, T[i])
		factor += cos(out, T[i])
	}
	return fit / float64(n), factor / float64(n)
}

// layerNorm returns (x - mean) / sqrt(var + 1e-5), BERT's epsilon.
func layerNorm(x []float64) []float64 {
	var mean, sq float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(sq/float64(len(x)) + 1e-5)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v - mean) / sd
	}
	return out
}

// helmert returns an h x (h-2) matrix (row-major) whose orthonormal columns
// are zero in coordinate 0 and sum to zero: Helmert contrasts on 1..h-1.
func helmert(h int) []float64 {
	k := h - 2
	b := make([]float64, h*k)
	for j := 0; j < k; j++ {
		// column j: coordinates 1..j+1 are 1, coordinate j+2 is -(j+1).
		norm := math.Sqrt(float64((j + 1) * (j + 2)))
		for i := 1; i <= j+1; i++ {
			b[i*k+j] = 1 / norm
		}
		b[(j+2)*k+j] = -float64(j+1) / norm
	}
	return b
}

// csr is a sparse matrix in compressed rows.
type csr struct {
	rowPtr []int
	col    []int
	val    []float64
	nCols  int
}

func (a csr) rows() int { return len(a.rowPtr) - 1 }

func (a csr) transpose() csr {
	t := csr{rowPtr: make([]int, a.nCols+1), col: make([]int, len(a.col)), val: make([]float64, len(a.val)), nCols: a.rows()}
	for _, c := range a.col {
		t.rowPtr[c+1]++
	}
	for c := 0; c < a.nCols; c++ {
		t.rowPtr[c+1] += t.rowPtr[c]
	}
	next := append([]int(nil), t.rowPtr[:a.nCols]...)
	for i := 0; i < a.rows(); i++ {
		for k := a.rowPtr[i]; k < a.rowPtr[i+1]; k++ {
			c := a.col[k]
			t.col[next[c]], t.val[next[c]] = i, a.val[k]
			next[c]++
		}
	}
	return t
}

// mul sets out (rows x width) to a times x (nCols x width), row-major, in
// parallel over rows.
func (a csr) mul(x, out []float64, width int) {
	n := a.rows()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				o := out[i*width : (i+1)*width]
				clear(o)
				for k := a.rowPtr[i]; k < a.rowPtr[i+1]; k++ {
					v, xr := a.val[k], x[a.col[k]*width:(a.col[k]+1)*width]
					for j := range o {
						o[j] += v * xr[j]
					}
				}
			}
		}(w)
	}
	wg.Wait()
}

// surfacePrior is what a token means when the data says little about it:
// the teacher's vector of its own surface form ("▁planète" -> "planète"),
// L2-normalised, zero for special tokens and pieces without letters or
// digits. A name, a number or a cognate the training text never pairs is
// then matched as the lexical teacher would match it, while the data moves
// the tokens it does see towards their translations.
func (r *Run) surfacePrior(ctx context.Context, pieces []string, vocab, tdim int) ([]float64, error) {
	if r.Cfg.Teacher == "" {
		return nil, fmt.Errorf("baginit: the surface prior needs the teacher model (--teacher), not only its cache")
	}
	enc, err := resolver.Open(ctx, r.Cfg.Teacher, adapters.Options{})
	if err != nil {
		return nil, fmt.Errorf("baginit: teacher: %w", err)
	}
	defer enc.Close()
	if enc.Dim() != tdim {
		return nil, fmt.Errorf("baginit: teacher %s has %d dimensions, its cache %d", r.Cfg.Teacher, enc.Dim(), tdim)
	}
	var texts []string
	var ids []int
	for id, p := range pieces {
		if id >= vocab {
			break
		}
		t := strings.TrimSpace(strings.ReplaceAll(p, "\u2581", " "))
		if t == "" || !strings.ContainsFunc(t, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }) ||
			(strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">")) {
			continue
		}
		texts = append(texts, t)
		ids = append(ids, id)
	}
	m0 := make([]float64, vocab*tdim)
	const chunk = 4096
	for i := 0; i < len(texts); i += chunk {
		part := texts[i:min(i+chunk, len(texts))]
		vs, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: part})
		if err != nil {
			// A piece the teacher refuses (a lone tatweel is a "letter"
			// to Unicode, not to the lexical encoder) has no prior.
			vs = make([][]float32, len(part))
			for j, t := range part {
				v, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: []string{t}})
				if err == nil {
					vs[j] = v[0]
				}
			}
		}
		for j, v := range vs {
			var s float64
			for _, f := range v {
				s += float64(f) * float64(f)
			}
			if s == 0 {
				continue
			}
			inv := 1 / math.Sqrt(s)
			id := ids[i+j]
			for t, f := range v {
				m0[id*tdim+t] = float64(f) * inv
			}
		}
	}
	return m0, nil
}

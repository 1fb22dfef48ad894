// Package losses holds the training objectives of the MIMO paper and its
// baselines as GoMLX graph functions, each with a plain-Go float64 reference
// (reference.go) that states the formula directly and that the tests hold the
// graph versions to, values and gradients.
//
// The mental model: every loss is a function of representations only. The
// gradient-cache engine (training/gradcache) hands a loss the full-batch
// student representations as detached leaves plus any fixed targets (teacher
// vectors), asks for the scalar, and differentiates it with respect to those
// leaves. Nothing here runs the encoder.
//
// Shapes: q, p, a, b are [batch, dim] with row i of one aligned to row i of
// the other (in-batch negatives: row i's positive is row i, every other row is
// a negative). Similarities are cosine unless a function says otherwise.
package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// DefaultScale is 1/tau for the contrastive losses (tau = 0.05).
const DefaultScale = 20.0

// normEps guards zero vectors in Normalize, as torch.nn.functional.normalize does.
const normEps = 1e-12

// Normalize divides each row of x [batch, dim] by max(||row||, 1e-12).
func Normalize(x *Node) *Node {
	n := Sqrt(ReduceAndKeep(Square(x), ReduceSum, -1))
	return Div(x, MaxScalar(n, normEps))
}

// Cosine returns the row-wise cosine similarity of a and b ([batch, dim]) as [batch].
func Cosine(a, b *Node) *Node {
	return ReduceSum(Mul(Normalize(a), Normalize(b)), -1)
}

// CosineMatrix returns S[i,j] = cos(q_i, p_j), shape [batch_q, batch_p].
func CosineMatrix(q, p *Node) *Node {
	return Einsum("id,jd->ij", Normalize(q), Normalize(p))
}

// eye is the [n, n] identity in dtype.
func eye(g *Graph, dtype dtypes.DType, n int) *Node {
	return ConvertDType(Diagonal(g, n), dtype)
}

// crossEntropyDiag is the mean over rows of -log softmax(logits[i,:])[i].
func crossEntropyDiag(logits *Node) *Node {
	n := logits.Shape().Dimensions[0]
	if logits.Shape().Dimensions[1] != n {
		panic(fmt.Sprintf("losses: in-batch logits must be square, got %s", logits.Shape()))
	}
	ls := LogSoftmax(logits, -1)
	diag := ReduceSum(Mul(ls, eye(logits.Graph(), logits.DType(), n)), -1)
	return Neg(ReduceAllMean(diag))
}

func checkPair(name string, a, b *Node) {
	if a.Rank() != 2 || b.Rank() != 2 || a.Shape().Dimensions[0] != b.Shape().Dimensions[0] {
		panic(fmt.Sprintf("losses.%s: want two [batch, dim] inputs with the same batch, got %s and %s", name, a.Shape(), b.Shape()))
	}
}

// InfoNCE is the in-batch contrastive loss
//
//	L = mean_i -log softmax_j(scale * cos(q_i, p_j))[i]
//
// with scale = 1/tau (DefaultScale = 20). Used with same-language pairs it is
// the InfoNCE baseline; with cross-lingual pairs (q_XX, p_YY) it is XLCO.
func InfoNCE(q, p *Node, scale float64) *Node {
	checkPair("InfoNCE", q, p)
	return crossEntropyDiag(MulScalar(CosineMatrix(q, p), scale))
}

// XLCO is InfoNCE on cross-lingual pairs; the formula is identical, only the
// data differ (the query and its positive are in different languages).
func XLCO(q, p *Node, scale float64) *Node { return InfoNCE(q, p, scale) }

// KLBatchMean is KL(P || Q) for row distributions given as log-probabilities,
// summed over the last axis and averaged over rows: PyTorch's
// F.kl_div(logQ, P, reduction="batchmean").
func KLBatchMean(logP, logQ *Node) *Node {
	rows := float64(logP.Shape().Dimensions[0])
	return DivScalar(ReduceAllSum(Mul(Exp(logP), Sub(logP, logQ))), rows)
}

// KLMode selects the distribution-alignment term of LaKDA.
type KLMode string

const (
	// KLSymmetric is the paper's 1/2 [KL(P1||P2) + KL(P2||P1)] (the default).
	KLSymmetric KLMode = "symmetric"
	// KLOneSided is the MIMO authors' code: KL(P_b || P_a) with batchmean.
	KLOneSided KLMode = "one-sided"
	// KLOriginal is the original LaKDA code: distributions over dot products,
	// KL(P_a || P_b), weight 1 on both terms, and the KL term dropped (zero
	// value and gradient) for a batch whose KL is below the threshold.
	KLOriginal KLMode = "original"
)

// LaKDAOptions configure LaKDA. The zero value is not valid; use DefaultLaKDA.
type LaKDAOptions struct {
	Alpha float64 // weight of the KL term; (1 - Alpha) on InfoNCE. Paper: 0.5.
	Scale float64 // InfoNCE scale, 20.
	Mode  KLMode
	// Threshold is the original LaKDA cut-off (0.15), used only in KLOriginal.
	Threshold float64
}

// DefaultLaKDA returns the paper's setting: alpha 0.5, scale 20, symmetric KL.
func DefaultLaKDA() LaKDAOptions {
	return LaKDAOptions{Alpha: 0.5, Scale: DefaultScale, Mode: KLSymmetric, Threshold: 0.15}
}

// Validate reports a bad option.
func (o LaKDAOptions) Validate() error {
	switch o.Mode {
	case KLSymmetric, KLOneSided, KLOriginal:
	default:
		return fmt.Errorf("lakda: unknown kl mode %q (want %s, %s or %s)", o.Mode, KLSymmetric, KLOneSided, KLOriginal)
	}
	if o.Alpha < 0 || o.Alpha > 1 {
		return fmt.Errorf("lakda: alpha %g outside [0, 1]", o.Alpha)
	}
	if o.Scale <= 0 {
		return fmt.Errorf("lakda: scale %g must be positive", o.Scale)
	}
	return nil
}

// LaKDA is the language-aware distribution alignment loss for two parallel
// queries qa, qb (languages XX != YY) and positives p (an independently drawn
// language). P_x = softmax_j cos(q_x, p_j) (temperature 1). It returns the total
// and its two terms (InfoNCE(qa, p) and the KL term, unweighted):
//
//	symmetric: (1-a) InfoNCE + a * 1/2 [KL(Pa||Pb) + KL(Pb||Pa)]
//	one-sided: (1-a) InfoNCE + a * KL(Pb||Pa)
//	original:  InfoNCE + [KL >= thr] KL(Pa||Pb), P over dot products
func LaKDA(qa, qb, p *Node, o LaKDAOptions) (total, infoNCE, kl *Node) {
	checkPair("LaKDA", qa, p)
	checkPair("LaKDA", qb, p)
	infoNCE = InfoNCE(qa, p, o.Scale)
	switch o.Mode {
	case KLOriginal:
		la := LogSoftmax(Einsum("id,jd->ij", qa, p), -1)
		lb := LogSoftmax(Einsum("id,jd->ij", qb, p), -1)
		kl = KLBatchMean(la, lb)
		on := ConvertDType(GreaterOrEqual(StopGradient(kl), Scalar(kl.Graph(), kl.DType(), o.Threshold)), kl.DType())
		total = Add(infoNCE, Mul(on, kl))
		return
	case KLOneSided:
		la := LogSoftmax(CosineMatrix(qa, p), -1)
		lb := LogSoftmax(CosineMatrix(qb, p), -1)
		kl = KLBatchMean(lb, la)
	default:
		la := LogSoftmax(CosineMatrix(qa, p), -1)
		lb := LogSoftmax(CosineMatrix(qb, p), -1)
		kl = MulScalar(Add(KLBatchMean(la, lb), KLBatchMean(lb, la)), 0.5)
	}
	total = Add(MulScalar(infoNCE, 1-o.Alpha), MulScalar(kl, o.Alpha))
	return
}

// Distill is the cosine distillation distance averaged over the batch:
// mean_i [1 - cos(s_i, t_i)]. s is the projected student psi(E_s(x)), t the
// teacher vector of the English side.
func Distill(s, t *Node) *Node {
	checkPair("Distill", s, t)
	return OneMinus(ReduceAllMean(Cosine(s, ConvertDType(t, s.DType()))))
}

// Bracket says how MIMO stage 2 combines its two distillation brackets.
type Bracket string

const (
	// BracketHalf averages each bracket over the batch and halves their sum
	// (the authors' code; our default, since it produced the paper's numbers).
	BracketHalf Bracket = "half"
	// BracketSum adds the two batch-averaged brackets, as the paper's formula is written.
	BracketSum Bracket = "sum"
)

// Stage2Options configure MIMO stage 2.
type Stage2Options struct {
	Lambda  float64 // weight of XLCO; paper 0.2
	Scale   float64 // XLCO scale, 20
	Bracket Bracket
}

// DefaultStage2 is lambda 0.2, scale 20, halved brackets.
func DefaultStage2() Stage2Options {
	return Stage2Options{Lambda: 0.2, Scale: DefaultScale, Bracket: BracketHalf}
}

// Validate reports a bad option.
func (o Stage2Options) Validate() error {
	if o.Lambda < 0 || o.Lambda > 1 {
		return fmt.Errorf("mimo stage 2: lambda %g outside [0, 1]", o.Lambda)
	}
	if o.Bracket != BracketHalf && o.Bracket != BracketSum {
		return fmt.Errorf("mimo stage 2: unknown bracket averaging %q (want %s or %s)", o.Bracket, BracketHalf, BracketSum)
	}
	if o.Scale <= 0 {
		return fmt.Errorf("mimo stage 2: scale %g must be positive", o.Scale)
	}
	return nil
}

// Stage2 is L = lambda * XLCO(q, p) + (1 - lambda) * L_distill with
// L_distill = c * ([1 - cos(psi(q), t_q)] + [1 - cos(psi(p), t_p)]), each
// bracket averaged over the batch and c = 1/2 (BracketHalf) or 1 (BracketSum).
// q, p are student representations of q_XX and p_YY; psiQ, psiP their
// projections; tq, tp the teacher vectors of q_en and p_en. It returns the total,
// XLCO and L_distill.
func Stage2(q, p, psiQ, psiP, tq, tp *Node, o Stage2Options) (total, xlco, distill *Node) {
	xlco = XLCO(q, p, o.Scale)
	distill = Add(Distill(psiQ, tq), Distill(psiP, tp))
	if o.Bracket == BracketHalf {
		distill = MulScalar(distill, 0.5)
	}
	total = Add(MulScalar(xlco, o.Lambda), MulScalar(distill, 1-o.Lambda))
	return
}

// Psi is the learnable projection psi(z) = z W + b from the student's
// dimension to the teacher's, with W [in, out] and b [out] given as nodes
// (the caller owns the variables; see training/gradcache's loss scope).
func Psi(z, w, b *Node) *Node {
	return Add(MatMul(z, ConvertDType(w, z.DType())), ExpandAxes(ConvertDType(b, z.DType()), 0))
}

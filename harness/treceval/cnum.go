package treceval

import (
	"math"
	"strconv"
)

// cAtof parses the longest prefix of s that C's strtod accepts (decimal or
// hexadecimal floating point, inf, infinity, nan), as atof does; anything
// else gives 0. "0.5abc" is 0.5, "abc" is 0.
func cAtof[T ~string | ~[]byte](s T) float64 {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := i > start && s[start] == '-'
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "inf"):
		return math.Copysign(math.Inf(1), sign(neg))
	case hasPrefixFold(rest, "nan"):
		return math.Copysign(math.NaN(), sign(neg))
	case len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') && (isHex(rest[2]) || (rest[2] == '.' && len(rest) > 3 && isHex(rest[3]))):
		j := 2
		for j < len(rest) && isHex(rest[j]) {
			j++
		}
		if j < len(rest) && rest[j] == '.' {
			j++
			for j < len(rest) && isHex(rest[j]) {
				j++
			}
		}
		mant := string(rest[:j])
		exp := "p0"
		if e := expLen(rest[j:], 'p', 'P'); e > 0 {
			exp = string(rest[j : j+e])
		}
		v, _ := strconv.ParseFloat(mant+exp, 64)
		return math.Copysign(v, sign(neg))
	}
	j, digits := 0, 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	j += expLen(rest[j:], 'e', 'E')
	v, _ := strconv.ParseFloat(string(rest[:j]), 64) // ErrRange: ±Inf or 0, like strtod
	return math.Copysign(v, sign(neg))
}

// expLen is the length of a valid exponent ("e-12") at the start of s.
func expLen[T ~string | ~[]byte](s T, lo, hi byte) int {
	if len(s) < 2 || (s[0] != lo && s[0] != hi) {
		return 0
	}
	j := 1
	if s[j] == '+' || s[j] == '-' {
		j++
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k
}

// Atol reads a number as trec_eval reads its -l and -M values: C's atol
// (optional sign and leading digits; no digits gives 0; overflow
// saturates).
func Atol(s string) int64 { return cAtol([]byte(s)) }

// cAtol parses like C's atol (strtol base 10): optional sign and leading
// digits; no digits gives 0; overflow saturates.
func cAtol(s []byte) int64 {
	v, _ := cStrtol(s)
	return v
}

// cStrtol is cAtol that also reports whether the value fit a C long
// (glibc's strtol saturates and sets ERANGE where it did not).
func cStrtol(s []byte) (v int64, ok bool) {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var u uint64
	for ; i < len(s) && isDigit(s[i]); i++ {
		if u > (math.MaxInt64+1)/10 {
			u = math.MaxInt64 + 2 // beyond both limits; stays there
			continue
		}
		u = u*10 + uint64(s[i]-'0')
	}
	if neg {
		if u > math.MaxInt64+1 {
			return math.MinInt64, false
		}
		return -int64(u), true // -(2^63) wraps to MinInt64, which is right
	}
	if u > math.MaxInt64 {
		return math.MaxInt64, false
	}
	return int64(u), true
}

func sign(neg bool) float64 {
	if neg {
		return -1
	}
	return 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hasPrefixFold[T ~string | ~[]byte](s T, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := range len(p) {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

package template

import (
	"errors"
	"math"
	"math/big"
)

// Integers are Python's: unbounded. Arithmetic stays in int while the
// result fits and moves to *big.Int when it would overflow (2 ** 70 is
// 1180591620717411303424, never a wrapped-around number); a big result
// that fits again becomes an int.

// maxBigBits bounds the size of a big integer a template may build.
const maxBigBits = 1 << 16

// toBig returns v as a big integer when it is an integer (int, bool or
// *big.Int).
func toBig(v any) (*big.Int, bool) {
	if b, ok := v.(*big.Int); ok {
		return b, true
	}
	if i, _, isInt, ok := number(v); ok && isInt {
		return big.NewInt(int64(i)), true
	}
	return nil, false
}

// normBig returns n as an int when it fits.
func normBig(n *big.Int) any {
	if n.IsInt64() && n.Int64() >= math.MinInt && n.Int64() <= math.MaxInt {
		return int(n.Int64())
	}
	return n
}

func bigFloat(n *big.Int) float64 {
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}

// bigArith computes op exactly when one operand is a big integer and the
// other an integer; ok is false when it does not apply.
func bigArith(op string, a, b any) (out any, ok bool, err error) {
	_, aBig := a.(*big.Int)
	_, bBig := b.(*big.Int)
	if !aBig && !bBig {
		return nil, false, nil
	}
	x, xok := toBig(a)
	y, yok := toBig(b)
	if !xok || !yok {
		return nil, false, nil // a float operand: float arithmetic
	}
	out, err = exactArith(op, x, y)
	return out, true, err
}

// exactArith is op on two big integers with Python's semantics.
func exactArith(op string, x, y *big.Int) (any, error) {
	z := new(big.Int)
	switch op {
	case "+":
		z.Add(x, y)
	case "-":
		z.Sub(x, y)
	case "*":
		if x.BitLen()+y.BitLen() > maxBigBits {
			return nil, errBigInt
		}
		z.Mul(x, y)
	case "/":
		if y.Sign() == 0 {
			return nil, errDivZero
		}
		f, _ := new(big.Rat).SetFrac(x, y).Float64()
		return f, nil
	case "//", "%":
		if y.Sign() == 0 {
			return nil, errDivZero
		}
		q, m := new(big.Int).DivMod(x, y, new(big.Int)) // Euclidean: m >= 0
		if m.Sign() != 0 && y.Sign() < 0 {              // Python: the remainder takes the divisor's sign
			q.Add(q, big.NewInt(1))
			m.Add(m, y)
		}
		if op == "//" {
			return normBig(q), nil
		}
		return normBig(m), nil
	case "**":
		if y.Sign() < 0 {
			return math.Pow(bigFloat(x), bigFloat(y)), nil
		}
		if !y.IsInt64() || int64(x.BitLen())*y.Int64() > maxBigBits {
			return nil, errBigInt
		}
		z.Exp(x, y, nil)
	}
	return normBig(z), nil
}

var errBigInt = errors.New("integer result too large")

// intOverflows reports whether a op b overflows int, for + - * and **.
func intOverflows(op string, a, b int) bool {
	switch op {
	case "+":
		s := a + b
		return (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0)
	case "-":
		d := a - b
		return (a >= 0) != (b >= 0) && (d >= 0) != (a >= 0)
	case "*":
		if a == 0 || b == 0 {
			return false
		}
		p := a * b
		return p/b != a || (a == -1 && b == math.MinInt) || (b == -1 && a == math.MinInt)
	case "**":
		return b >= 0
	case "//", "%":
		return a == math.MinInt && b == -1
	}
	return false
}

// bigEqual compares exactly when a big integer is involved.
func bigEqual(a, b any) (eq, ok bool) {
	_, aBig := a.(*big.Int)
	_, bBig := b.(*big.Int)
	if !aBig && !bBig {
		return false, false
	}
	x, xok := toBig(a)
	y, yok := toBig(b)
	if !xok || !yok {
		return false, false
	}
	return x.Cmp(y) == 0, true
}

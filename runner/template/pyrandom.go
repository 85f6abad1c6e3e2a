package template

import (
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// pyRandom is Python's random.Random: the Mersenne Twister (MT19937) seeded
// as CPython seeds it, with randbelow, randrange, choice and shuffle as
// CPython 3.11 draws them. Ansible's random and shuffle filters and the
// password lookup take a seed= so that a value is the same on every run
// (`{{ 59 | random(seed=inventory_hostname) }}` for a cron minute): the
// same seed must give the same value as under Ansible.
type pyRandom struct {
	mt     [624]uint32
	idx    int
	system bool // no seed: the system's randomness (crypto/rand), as SystemRandom
}

// newPyRandom is random.Random(seed) for a string, int or bool seed, or the
// system's randomness for nil.
func newPyRandom(seed any) (*pyRandom, error) {
	r := &pyRandom{}
	switch s := seed.(type) {
	case nil:
		return &pyRandom{system: true}, nil
	case string:
		b := []byte(s)
		digest := sha512.Sum512(b)
		r.seedInt(new(big.Int).SetBytes(append(b, digest[:]...)))
		return r, nil
	case *big.Int:
		r.seedInt(s)
		return r, nil
	}
	i, f, isInt, ok := number(seed)
	if !ok || (!isInt && f != float64(int64(f))) {
		return nil, fmt.Errorf("the seed must be a string or an integer, not '%s'", typeName(seed))
	}
	if !isInt {
		i = int(f) // hash(2.0) == 2: an integral float seeds as its int
	}
	r.seedInt(big.NewInt(int64(i)))
	return r, nil
}

// seedInt is CPython's random_seed: init_by_array over the 32-bit words of
// abs(n), least significant first.
func (r *pyRandom) seedInt(n *big.Int) {
	n = new(big.Int).Abs(n)
	words := n.Bits()
	key := []uint32{}
	for _, w := range words {
		for shift := 0; shift < bits.UintSize; shift += 32 {
			key = append(key, uint32(uint64(w)>>shift))
		}
	}
	for len(key) > 1 && key[len(key)-1] == 0 {
		key = key[:len(key)-1]
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	r.initByArray(key)
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = len(r.mt)
}

func (r *pyRandom) initByArray(key []uint32) {
	const n = 624
	r.initGenrand(19650218)
	mt := &r.mt
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i, j = i+1, j+1
		if i >= n {
			mt[0], i = mt[n-1], 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			mt[0], i = mt[n-1], 1
		}
	}
	mt[0] = 0x80000000
}

// uint32 is genrand_uint32.
func (r *pyRandom) uint32() uint32 {
	const n, m = 624, 397
	mt := &r.mt
	if r.idx >= n {
		mag := [2]uint32{0, 0x9908b0df}
		for k := 0; k < n; k++ {
			y := mt[k]&0x80000000 | mt[(k+1)%n]&0x7fffffff
			mt[k] = mt[(k+m)%n] ^ (y >> 1) ^ mag[y&1]
		}
		r.idx = 0
	}
	y := mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	return y ^ (y >> 18)
}

// getrandbits is random.getrandbits(k) for k up to 63.
func (r *pyRandom) getrandbits(k int) uint64 {
	if k <= 32 {
		return uint64(r.uint32() >> (32 - k))
	}
	lo := uint64(r.uint32())
	return lo | uint64(r.uint32()>>(64-k))<<32
}

// randbelow is a uniform integer in [0, n), drawn as CPython draws it.
func (r *pyRandom) randbelow(n int) int {
	if r.system {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(n))) // crypto/rand's Reader never fails (Go 1.24)
		return int(v.Int64())
	}
	k := bits.Len64(uint64(n))
	v := r.getrandbits(k)
	for v >= uint64(n) {
		v = r.getrandbits(k)
	}
	return int(v)
}

// randrange is random.randrange(start, stop, step).
func (r *pyRandom) randrange(start, stop, step int) (int, error) {
	width := stop - start
	var n int
	switch {
	case step == 1:
		n = width
	case step > 0:
		n = (width + step - 1) / step
	case step < 0:
		n = floorDiv(width+step+1, step)
	default:
		return 0, errors.New("zero step for randrange()")
	}
	if n <= 0 {
		return 0, fmt.Errorf("empty range for randrange() (%d, %d, %d)", start, stop, width)
	}
	return start + step*r.randbelow(n), nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// shuffle is random.shuffle, in place.
func (r *pyRandom) shuffle(x []any) {
	for i := len(x) - 1; i > 0; i-- {
		j := r.randbelow(i + 1)
		x[i], x[j] = x[j], x[i]
	}
}

// fRandom is Ansible's random(start=0, step=1, seed=None): a number from
// range(start, end, step) for an integer input, or an item of a sequence.
func fRandom(in any, a *fargs) (any, error) {
	if err := a.expect(2, "start", "step", "seed"); err != nil {
		return nil, err
	}
	r, err := newPyRandom(a.or(-1, "seed", nil))
	if err != nil {
		return nil, err
	}
	if end, _, isInt, ok := number(in); ok && isInt {
		if _, isBool := in.(bool); !isBool {
			start, err1 := a.integer(0, "start", 0)
			step, err2 := a.integer(1, "step", 1)
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			if step == 0 {
				step = 1
			}
			return r.randrange(start, end, step)
		}
	}
	items, err := iterate(in)
	if err != nil {
		return nil, errors.New("random can only be used on sequences and integers")
	}
	if a.flag(0, "start") || a.flag(1, "step") {
		return nil, errors.New("start and step can only be used with integer values")
	}
	if len(items) == 0 {
		return nil, errors.New("Cannot choose from an empty sequence")
	}
	return items[r.randbelow(len(items))], nil
}

// fShuffle is Ansible's shuffle(seed=None): a shuffled copy of the items.
func fShuffle(in any, a *fargs) (any, error) {
	if err := a.expect(1, "seed"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return in, nil // Ansible returns what it cannot shuffle as it is
	}
	seed := a.or(0, "seed", nil)
	if !truthy(seed) {
		seed = nil
	}
	r, err := newPyRandom(seed)
	if err != nil {
		return nil, err
	}
	out := append([]any{}, items...)
	r.shuffle(out)
	return out, nil
}

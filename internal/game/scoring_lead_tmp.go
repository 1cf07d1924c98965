package game

// Temporary until the scoring helper's formulas land.

func (s *Scoring) Value(solvers int) int {
	if solvers <= 1 {
		return s.Initial
	}
	v := s.Initial - s.Decay*(solvers-1)
	return max(v, s.Minimum)
}

func FirstBloodPoints(value, place int, bonus []int) int {
	if place < 1 || place > len(bonus) {
		return 0
	}
	return value * bonus[place-1] / 100
}

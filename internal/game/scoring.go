package game

// Scoring is a challenge's dynamic scoring ("scoring" in challenges.json):
// its value falls from Initial towards Minimum as solvers come, by
// Function ("linear" or "logarithmic", CTFd's formulas, or "rctf", rCTF's
// default curve) with Decay as the formula's parameter. Every solver
// holds the current value (retroactive).
type Scoring struct {
	Type     string `json:"type"` // "decay"
	Initial  int    `json:"initial"`
	Minimum  int    `json:"minimum"`
	Decay    int    `json:"decay"`
	Function string `json:"function"`
}

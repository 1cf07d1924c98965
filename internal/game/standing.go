package game

// Standing is one player's line on the scoreboard. Its JSON form is the
// one of /api/scoreboard and of the scorestream snapshot.
type Standing struct {
	Rank        int    `json:"rank,omitempty"` // 0 (omitted) in snapshots: the order is the rank
	PlayerID    int64  `json:"player_id"`
	DisplayName string `json:"displayname"`
	Score       int    `json:"score"`
	Solves      int    `json:"solves"`
	LastSolveTS int64  `json:"last_solve_ts"` // Unix ms; 0 when no solve yet
}

// Series is one player's score over time: points of [ts in Unix ms,
// score after the event].
type Series struct {
	PlayerID    int64      `json:"player_id"`
	DisplayName string     `json:"displayname"`
	Points      [][2]int64 `json:"points"`
}

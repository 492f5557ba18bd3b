package email

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/kctl/kctl/services/internal/svc"
)

// handleLogs is GET /api/email-logs[?userId=N][&eventId=ID][&status=S][&limit=N]:
// the email log, oldest first, at most limit (default and max 10000) rows.
func (s *Service) handleLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, k := range []string{"userId", "eventId", "status", "limit"} {
		if len(q[k]) > 1 {
			svc.WriteError(w, http.StatusBadRequest, k, fmt.Sprintf("%s: given %d times; give it once", k, len(q[k])))
			return
		}
	}
	var f LogFilter
	if v := q.Get("userId"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			svc.WriteError(w, http.StatusBadRequest, "userId", fmt.Sprintf("userId: %q is not a user id (a positive integer)", v))
			return
		}
		f.UserID = id
	}
	if v := q.Get("eventId"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			svc.WriteError(w, http.StatusBadRequest, "eventId", fmt.Sprintf("eventId: %q is not a UUID (e.g. 8695536b-dd8c-4f5d-b018-fa3f7c75b95a)", v))
			return
		}
		f.EventID = id.String()
	}
	switch st := q.Get("status"); st {
	case "", StatusSent, StatusFailed, StatusUnknown:
		f.Status = st
	default:
		svc.WriteError(w, http.StatusBadRequest, "status", fmt.Sprintf("status: %q is not one of sent, failed, unknown", st))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxLogLimit {
			svc.WriteError(w, http.StatusBadRequest, "limit", fmt.Sprintf("limit: %q is not a number in 1..%d", v, maxLogLimit))
			return
		}
		f.Limit = n
	}
	logs, err := s.Logs(r.Context(), f)
	if err != nil {
		s.log.Error("read email log", "err", err)
		svc.WriteError(w, http.StatusInternalServerError, "", "cannot read the email log")
		return
	}
	svc.WriteJSON(w, http.StatusOK, logs)
}

package svc

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// InstanceID returns the static group membership id kept in db, creating
// it (prefix + a random UUID) at first use. It returns the database's error
// when the id can be neither read nor written.
func InstanceID(ctx context.Context, db *DB, prefix string) (string, error) {
	if _, err := db.W.ExecContext(ctx, `INSERT INTO kctl_meta (k, v) VALUES ('group_instance_id', ?) ON CONFLICT(k) DO NOTHING`,
		prefix+uuid.NewString()); err != nil {
		return "", fmt.Errorf("database %s: store the group instance id: %w", db.Path, err)
	}
	var id string
	if err := db.W.QueryRowContext(ctx, `SELECT v FROM kctl_meta WHERE k = 'group_instance_id'`).Scan(&id); err != nil {
		return "", fmt.Errorf("database %s: read the group instance id: %w", db.Path, err)
	}
	return id, nil
}

// LeaveGroup removes the static member instanceID from group. It returns
// the request's error or the member's.
func LeaveGroup(ctx context.Context, cl *kgo.Client, group, instanceID string) error {
	resp, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(group).InstanceIDs(instanceID).Reason("kctl service stopped"))
	if err != nil {
		return fmt.Errorf("leave group %q as %q: %w", group, instanceID, err)
	}
	var first error
	resp.EachError(func(l kadm.LeaveGroupResponse) {
		if first == nil {
			first = fmt.Errorf("leave group %q as %q: %w", group, l.InstanceID, l.Err)
		}
	})
	return first
}

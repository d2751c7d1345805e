package cases

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/caseentry"
)

// AddTask adds a task to a case, optionally assigned to a member of the
// case's tenant (or of a tenant above it).
func (s *Service) AddTask(ctx context.Context, caseID, title, assigneeID string) (*ent.CaseTask, error) {
	title = strings.TrimSpace(title)
	if title == "" || len(title) > MaxTitle {
		return nil, opsward.FieldErrorf("title", "a task's title has 1 to %d characters", MaxTitle)
	}
	var out *ent.CaseTask
	_, err := s.update(ctx, caseID, "case.task_add", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		b := tx.CaseTask.Create().SetTenantID(c.TenantID).SetCaseID(c.ID).SetTitle(title)
		msg := "task added: " + title
		if assigneeID != "" {
			if err := s.checkMember(ctx, c.TenantID, assigneeID, "assigneeId"); err != nil {
				return "", false, err
			}
			b.SetAssigneeID(assigneeID)
			msg += " (assigned to " + assigneeID + ")"
		}
		var err error
		if out, err = b.Save(ctx); err != nil {
			return "", false, storageErr(err)
		}
		return out.ID, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindTask, Message: msg, Ref: out.ID,
			Detail: map[string]any{"taskId": out.ID, "title": title, "assigneeId": assigneeID, "done": false}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetTaskDone marks a task done or not done.
func (s *Service) SetTaskDone(ctx context.Context, taskID string, done bool) (*ent.CaseTask, error) {
	t, err := s.Client.CaseTask.Get(ctx, taskID)
	if err != nil {
		return nil, storageErr(err)
	}
	var out *ent.CaseTask
	_, err = s.update(ctx, t.CaseID, "case.task_done", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		cur, err := tx.CaseTask.Get(ctx, taskID)
		if err != nil {
			return "", false, storageErr(err)
		}
		if cur.Done == done {
			out = cur
			return "", false, nil
		}
		if out, err = tx.CaseTask.UpdateOne(cur).SetDone(done).Save(ctx); err != nil {
			return "", false, storageErr(err)
		}
		msg := "task done: " + cur.Title
		if !done {
			msg = "task reopened: " + cur.Title
		}
		return fmt.Sprintf("%s done=%t", taskID, done), true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindTask,
			Message: msg, Ref: taskID, Detail: map[string]any{"taskId": taskID, "title": cur.Title, "done": done}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

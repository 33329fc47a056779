package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// The in-app channel (issue 14): every notification reaches the people of
// its recipient here. A command level's notifications are read by its
// command centre (the commanders and secretaries of that org unit), a
// department's by its clerks; read state is each user's own.

// inboxOf is whose notifications u reads.
func inboxOf(u whistle.Actor) store.Inbox {
	in := store.Inbox{UserID: u.UserID}
	switch u.Role {
	case whistle.RoleCommander, whistle.RoleStreetSecretary, whistle.RoleCommunitySecretary:
		in.OrgUnitID = u.OrgUnitID
	case whistle.RoleClerk:
		in.DepartmentID = u.DepartmentID
	}
	return in
}

// notificationView is a notification as its reader sees it.
type notificationView struct {
	ID            string     `json:"id"`
	CaseID        string     `json:"case_id"`
	Number        string     `json:"number,omitempty"`
	Seq           int64      `json:"seq"`
	Event         string     `json:"event"`
	Summary       string     `json:"summary"`
	At            time.Time  `json:"at"`
	Title         string     `json:"title"`
	Class         string     `json:"class"`
	Level         string     `json:"level,omitempty"`
	TaskID        string     `json:"task_id,omitempty"`
	Message       string     `json:"message"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	RecipientKind string     `json:"recipient_kind"`
	RecipientID   string     `json:"recipient_id"`
	Read          bool       `json:"read"`
	ReadAt        *time.Time `json:"read_at,omitempty"`
}

func toNotificationView(lang string) func(store.InboxNotification) notificationView {
	return func(n store.InboxNotification) notificationView {
		v := notificationView{ID: strconv.FormatUint(n.ID, 10), CaseID: n.CaseID, Number: n.Number, Seq: n.Seq, Event: n.Event,
			Summary: channels.EventName(n.Event, lang), At: n.At.UTC(), Title: n.Title, Class: n.Class, Level: n.Level, TaskID: n.TaskID,
			Message: n.Message, RecipientKind: n.RecipientKind, RecipientID: n.RecipientID, Read: n.ReadAt != nil}
		if n.Deadline != nil {
			d := n.Deadline.UTC()
			v.Deadline = &d
		}
		if n.ReadAt != nil {
			r := n.ReadAt.UTC()
			v.ReadAt = &r
		}
		return v
	}
}

// notificationList is a page of notifications with the caller's unread
// count (of all pages).
type notificationList struct {
	listResponse[notificationView]
	UnreadCount int64 `json:"unread_count"`
}

// listNotifications answers the caller's notifications, unread first,
// newest first; ?unread=true lists only the unread.
func (s *Server) listNotifications(c *gin.Context) {
	q := &queryReader{c: c}
	unread := q.bool("unread")
	p := q.page()
	if q.failed() {
		return
	}
	page, err := s.Store.NotificationsFor(c.Request.Context(), inboxOf(caller(c)), unread != nil && *unread, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, notificationList{listResponse: newList(views(page.Items, toNotificationView(lang(c))), page.Total, p.Normalize()),
		UnreadCount: page.Unread})
}

// readNotification marks one of the caller's notifications read (again is
// fine: the first read time stays).
func (s *Server) readNotification(c *gin.Context) {
	n, err := s.Store.MarkNotificationRead(c.Request.Context(), inboxOf(caller(c)), c.Param("id"), time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toNotificationView(lang(c))(n))
}

// readAllNotifications marks every notification of the caller read.
func (s *Server) readAllNotifications(c *gin.Context) {
	marked, err := s.Store.MarkAllNotificationsRead(c.Request.Context(), inboxOf(caller(c)), time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"marked": marked, "unread_count": 0})
}

// deliveryView is one delivery of a notification through an outside
// channel; a duty phone shows only its last four digits.
type deliveryView struct {
	ID            string     `json:"id"`
	ChannelID     string     `json:"channel_id"`
	ChannelKind   string     `json:"channel_kind"`
	Target        string     `json:"target,omitempty"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

func toDeliveryView(d store.Delivery) deliveryView {
	v := deliveryView{ID: strconv.FormatUint(d.ID, 10), ChannelID: strconv.FormatUint(d.ChannelID, 10), ChannelKind: d.ChannelKind,
		Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(),
		NextAttemptAt: utcPtr(d.NextAttemptAt), SentAt: utcPtr(d.SentAt)}
	if d.Target != "" {
		v.Target = channels.MaskPhone(d.Target)
	}
	return v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// notificationDeliveries lists how a notification went out through the
// outside channels: to its recipients and to admins.
func (s *Server) notificationDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	u := caller(c)
	var id uint64
	if s.Policy.Authorize(u, policy.Admin, policy.Object{}) == nil {
		n, err := s.Store.NotificationByKey(ctx, c.Param("id"))
		if err != nil {
			fail(c, err)
			return
		}
		id = n.ID
	} else {
		n, err := s.Store.NotificationFor(ctx, inboxOf(u), c.Param("id"))
		if err != nil {
			fail(c, err)
			return
		}
		id = n.ID
	}
	rows, err := s.Store.DeliveriesOf(ctx, id)
	answerAll(c, rows, err, toDeliveryView)
}

// notificationRoutes registers the in-app notifications, their deliveries,
// and the admins' channels and duty rosters.
func (s *Server) notificationRoutes(v1, admin *gin.RouterGroup) {
	v1.GET("/notifications", s.listNotifications)
	v1.POST("/notifications/read-all", s.readAllNotifications)
	v1.POST("/notifications/:id/read", s.readNotification)
	v1.GET("/notifications/:id/deliveries", s.notificationDeliveries)
	admin.GET("/channels", s.listChannels)
	admin.POST("/channels", s.createChannel)
	admin.PATCH("/channels/:id", s.updateChannel)
	admin.DELETE("/channels/:id", s.deleteChannel)
	admin.GET("/departments/:id/duty-roster", s.getDutyRoster)
	admin.PUT("/departments/:id/duty-roster", s.putDutyRoster)
}

-- Which events each person has read in their inbox (the Informed party's
-- one-way communication).
CREATE TABLE inbox_read (
    handle   TEXT NOT NULL REFERENCES person (handle),
    event_id INTEGER NOT NULL REFERENCES event (id),
    read_at  TEXT NOT NULL,
    PRIMARY KEY (handle, event_id)
) STRICT, WITHOUT ROWID;

-- The outstanding and overdue reports look up open tasks and due dates.
CREATE INDEX task_due ON task (due) WHERE due IS NOT NULL;
CREATE INDEX event_task ON event (task, installation_id);

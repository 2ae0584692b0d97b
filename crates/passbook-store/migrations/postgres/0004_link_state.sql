-- Widget messages are handed out with the answer to the action that made them (the link state
-- machine returns them); they are no longer stored, so showing a page never writes.
DROP TABLE widget_messages;

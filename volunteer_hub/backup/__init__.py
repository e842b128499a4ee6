"""备份与恢复: a versioned archive of every table (JSON lines) and the uploaded files."""

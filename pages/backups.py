"""Backups: download a consistent copy of the live database, and the app's dated backups."""

from datetime import UTC, datetime

import streamlit as st

from workbench import backups
from workbench.access import Action
from workbench.config import settings
from workbench.ui.auth import current_user
from workbench.ui.connection import backup_keeper, cursor
from workbench.ui.feedback import reporting_errors, show_feedback

con = cursor()
user = current_user(con, Action.BACKUP)
conf = settings()
keeper = backup_keeper()

st.title("Backups")
st.caption(f"Database `{conf.db_path}`")
show_feedback()

st.subheader("Download a backup now")
st.write("A consistent copy of the whole database, made while the workbench keeps running. Restore it with "
         "`workbench restore FILE --db PATH` (stop the app first); the file it replaces is kept aside.")
if st.button("Prepare a backup", key="prepare_backup"):
    with reporting_errors(), st.spinner("Copying the database…"):
        st.session_state["backup_download"] = (backups.backup_bytes(con, by=user), backups.dated_name())
prepared = st.session_state.get("backup_download")
if prepared:
    data, name = prepared
    st.download_button(f"Download {name} ({len(data) / 1e6:.1f} MB)", data, file_name=name,
                       mime="application/octet-stream", key="download_backup")

st.subheader("Dated backups")
if conf.backup_every_hours > 0:
    st.write(f"The app keeps a backup every {conf.backup_every_hours:g} hours in `{conf.backup_dir}`, "
             f"the last {conf.backup_keep}. (Set `WORKBENCH_BACKUP_DIR`, `WORKBENCH_BACKUP_EVERY_HOURS`, "
             "`WORKBENCH_BACKUP_KEEP` to change it.)")
else:
    st.info("Dated backups are off (`WORKBENCH_BACKUP_EVERY_HOURS=0`).")
for problem in keeper.errors:
    st.error(problem)
if st.button("Make a dated backup now", key="dated_backup"):
    with reporting_errors():
        made, removed = backups.keep_dated(con, conf.backup_dir, conf.backup_keep, by=user)
        st.success(f"Wrote {made.name}" + (f"; removed {len(removed)} older" if removed else "") + ".")
existing = backups.dated_backups(conf.backup_dir)
if existing:
    st.dataframe(
        [{"file": p.name,
          "written (UTC)": datetime.fromtimestamp(p.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M"),
          "size (MB)": round(p.stat().st_size / 1e6, 1)} for p in reversed(existing)],
        hide_index=True, width="stretch")
else:
    st.write("No dated backup yet.")

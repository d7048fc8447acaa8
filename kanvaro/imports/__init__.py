"""CSV and Trello import (SPEC §13): upload, map, preview, a background job, the report."""

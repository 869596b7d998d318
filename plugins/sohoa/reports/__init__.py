"""Reports for the agency and for Sở Nội vụ: the yearly result report (.docx, .xlsx) and its charts."""

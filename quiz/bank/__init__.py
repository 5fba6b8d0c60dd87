"""The question bank: YAML format, validation, spreadsheet conversion, import and drawing."""

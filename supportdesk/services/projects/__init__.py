"""Joint projects (この指とまれ方式): proposing and running them (building), the municipalities'
answers (answers), the cost shares (costs), notices and documents to the participants (notices),
the service kinds projects are opened by (service_kinds), the report (figures) and the map."""

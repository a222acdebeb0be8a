"""The paper audit: its numbers checked against each other, its ranges, readings and text (`artifact audit-paper`)."""

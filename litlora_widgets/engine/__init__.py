"""Model-side engine: SAM2 feature capture and LIT-LoRA experts. No widget code here."""

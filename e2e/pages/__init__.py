"""Page objects: one small class per page, speaking in what a person sees and does."""

"""Sharing (第十一至十三、十五、二十一条): requests, reviews, use agreements, grants and the lookup API."""

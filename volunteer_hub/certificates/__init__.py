"""志愿服务记录证明: certificates of volunteer service by 《志愿服务记录与证明出具办法（试行）》."""

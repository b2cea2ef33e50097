from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from govdata.actor import Role
from govdata.types import EmailText, Id


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)  # the rules: auth/passwordpolicy.py (settings)
    unit_id: Id | None = None
    roles: list[Role] = Field(min_length=1)
    phone: str = Field(default="", max_length=32)
    email: EmailText = ""  # where reminders go (govdata.mail); checked, "" for none

    @field_validator("roles")
    @classmethod
    def _people_roles(cls, roles: list[Role]) -> list[Role]:
        if Role.SYSTEM in roles or Role.PLATFORM in roles:
            raise ValueError("系统、平台账号的角色不能授予人员")
        return roles


class UserRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    username: str
    display_name: str
    unit_id: int | None
    roles: list[str]
    phone: str
    email: str
    is_active: bool


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)  # the rules: auth/passwordpolicy.py


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
